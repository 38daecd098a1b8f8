"""audio_for_channel (simulator media log) and record_channel_audio (ARI snoop + record), over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from arinb.audio import (
    AudioClip,
    MediaSegment,
    audio_for_channel,
    record_channel_audio,
    render_clip,
    tone_spec,
)
from arinb.errors import AriConflict, AriNotFound, AriUnprocessable, AriUsageError, http_error

# -- audio_for_channel --------------------------------------------------------------------------------------


@dataclass
class FakeClock:
    t: float

    def now(self) -> float:
        return self.t


@dataclass
class FakeEngine:
    """The two things audio_for_channel uses of SimEngine: media_log(channel_id) and clock.now()."""

    clock: FakeClock
    logs: dict[str, list[MediaSegment]] = field(default_factory=dict)

    def media_log(self, channel_id: str) -> list[MediaSegment]:
        return list(self.logs.get(channel_id, []))


def test_audio_for_channel_renders_the_log_up_to_now() -> None:
    ring = MediaSegment("c1", 50.0, None, "tone", tone_spec("fr", "ring"))
    engine = FakeEngine(FakeClock(56.0), {"c1": [ring]})
    clip = audio_for_channel(engine, "c1")
    assert clip.start == 50.0 and clip.duration == 6.0 and clip.title == "channel c1"
    assert clip == render_clip([ring], 50.0, 56.0)
    assert audio_for_channel(engine, "c1", start=49.0, end=51.0).duration == 2.0


def test_audio_for_channel_without_a_clock_ends_at_the_last_segment() -> None:
    class NoClock:
        def media_log(self, channel_id: str) -> list[MediaSegment]:
            return [MediaSegment(channel_id, 10.0, 12.5, "silence")]

    assert audio_for_channel(NoClock(), "c").duration == 2.5

    class StillSounding:
        def media_log(self, channel_id: str) -> list[MediaSegment]:
            return [MediaSegment(channel_id, 10.0, None, "tone", "440")]

    with pytest.raises(AriUsageError, match="end="):
        audio_for_channel(StillSounding(), "c")


def test_audio_for_an_unknown_or_silent_channel_is_empty() -> None:
    assert audio_for_channel(FakeEngine(FakeClock(5.0)), "nobody", start=5.0).duration == 0.0


# -- record_channel_audio against a fake ARI server ---------------------------------------------------------


class FakeAri:
    """Just enough of Asterisk's snoop/record/stored-recording REST to record a channel, with a call log."""

    def __init__(
        self, wav: bytes, *, record_status: int = 201, file_404s: int = 1, not_in_stasis: int = 0
    ) -> None:
        self.wav = wav
        self.record_status = record_status
        self.not_in_stasis = not_in_stasis  # records refused before the snoop "entered the app"
        self.file_404s = file_404s  # the stored file may lag the stop request
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self.live: set[str] = set()
        self.stored: set[str] = set()
        self.channels = {"chan-1"}

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.log])
        app.router.add_post("/ari/channels/{id}/snoop", self.snoop)
        app.router.add_post("/ari/channels/{id}/record", self.record)
        app.router.add_delete("/ari/channels/{id}", self.hangup)
        app.router.add_post("/ari/recordings/live/{name}/stop", self.stop)
        app.router.add_get("/ari/recordings/stored/{name}/file", self.file)
        app.router.add_delete("/ari/recordings/stored/{name}", self.delete_stored)
        return app

    @web.middleware
    async def log(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append((request.method, request.path.removeprefix("/ari"), dict(request.query)))
        response: web.StreamResponse = await handler(request)
        return response

    @staticmethod
    def error(status: int, message: str) -> web.Response:
        return web.json_response({"message": message}, status=status)

    async def snoop(self, request: web.Request) -> web.Response:
        if request.match_info["id"] not in self.channels:
            return self.error(404, "Channel not found")
        if request.query.get("spy") != "out" or not request.query.get("app"):
            return self.error(400, "bad snoop")
        self.channels.add("snoop-1")
        return web.json_response({"id": "snoop-1", "name": "Snoop/chan-1-00000000", "state": "Up"})

    async def record(self, request: web.Request) -> web.Response:
        if self.not_in_stasis > 0:
            self.not_in_stasis -= 1
            return self.error(409, "Channel not in Stasis application")
        if self.record_status != 201:
            return self.error(self.record_status, "specified format is unknown on this system")
        name = request.query["name"]
        self.live.add(name)
        self.stored.add(name)
        return web.json_response({"name": name, "format": "wav", "state": "queued"}, status=201)

    async def stop(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.live:
            return self.error(404, "Recording not found")
        self.live.discard(name)
        return web.Response(status=204)

    async def file(self, request: web.Request) -> web.Response:
        if self.file_404s > 0:
            self.file_404s -= 1
            return self.error(404, "Recording not found")
        headers = {"Cache-Control": "no-cache, no-store"}
        return web.Response(body=self.wav, content_type="audio/wav", headers=headers)

    async def delete_stored(self, request: web.Request) -> web.Response:
        self.stored.discard(request.match_info["name"])
        return web.Response(status=204)

    async def hangup(self, request: web.Request) -> web.Response:
        self.channels.discard(request.match_info["id"])
        return web.Response(status=204)


class FakeSession:
    """A client session reduced to the contract record_channel_audio uses: request(method, path, params)."""

    def __init__(self, base: str, http: aiohttp.ClientSession, apps: str = "channel-tones") -> None:
        self.base = base
        self.http = http
        self.apps = apps

    async def request(self, method: str, path: str, params: dict[str, Any] | None = None) -> Any:
        async with self.http.request(method, f"{self.base}/ari{path}", params=params or {}) as response:
            body = await response.read()
            is_json = response.content_type == "application/json"
            if response.status >= 400:
                parsed = await response.json() if is_json else None
                raise http_error(
                    response.status, parsed, method=method, path=path, reason=response.reason or ""
                )
            if response.status == 204:
                return None
            return await response.json() if is_json else body


@pytest.fixture
async def ari() -> AsyncIterator[tuple[FakeAri, FakeSession]]:
    clip = render_clip([MediaSegment("chan-1", 0.0, None, "tone", tone_spec("fr", "ring"))], 0.0, 3.0)
    fake = FakeAri(clip.to_wav_bytes())
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as http:
        yield fake, FakeSession(f"http://127.0.0.1:{port}", http)
    await runner.cleanup()


async def test_record_channel_audio_snoops_records_fetches_and_cleans_up(
    ari: tuple[FakeAri, FakeSession],
) -> None:
    fake, session = ari
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    clip = await record_channel_audio(session, "chan-1", 3.0, name="rec-a", sleep=fake_sleep)
    assert slept == [3.0]
    assert clip == AudioClip.from_wav(fake.wav)
    assert clip.dominant_frequency(0.6, 1.9) == pytest.approx(440, abs=0.5)
    assert [(m, p) for m, p, _ in fake.calls] == [
        ("POST", "/channels/chan-1/snoop"),
        ("POST", "/channels/snoop-1/record"),
        ("POST", "/recordings/live/rec-a/stop"),
        ("GET", "/recordings/stored/rec-a/file"),  # 404: not stored yet
        ("GET", "/recordings/stored/rec-a/file"),
        ("DELETE", "/recordings/stored/rec-a"),
        ("DELETE", "/channels/snoop-1"),
    ]
    assert fake.calls[0][2] == {"spy": "out", "app": "channel-tones"}
    assert fake.calls[1][2] == {"name": "rec-a", "format": "wav", "ifExists": "overwrite"}
    assert fake.stored == set() and fake.live == set() and fake.channels == {"chan-1"}


async def test_a_channel_handle_works_and_names_are_generated(ari: tuple[FakeAri, FakeSession]) -> None:
    fake, session = ari

    @dataclass
    class Handle:
        id: str

    clip = await record_channel_audio(session, Handle("chan-1"), 0.01, app="other-app")
    assert len(clip) == 24000
    name = fake.calls[1][2]["name"]
    assert name.startswith("arinb-listen-") and fake.calls[0][2]["app"] == "other-app"


async def test_a_failed_record_still_removes_the_snoop(ari: tuple[FakeAri, FakeSession]) -> None:
    fake, session = ari
    fake.record_status = 422
    with pytest.raises(AriUnprocessable, match="format is unknown"):
        await record_channel_audio(session, "chan-1", 1.0, sleep=lambda s: asyncio.sleep(0))
    assert [(m, p) for m, p, _ in fake.calls][-1] == ("DELETE", "/channels/snoop-1")
    assert fake.channels == {"chan-1"}


async def test_an_unknown_channel_is_a_404_and_nothing_is_left(ari: tuple[FakeAri, FakeSession]) -> None:
    fake, session = ari
    with pytest.raises(AriNotFound, match="Channel not found"):
        await record_channel_audio(session, "nope", 1.0)
    assert len(fake.calls) == 1


async def test_bad_arguments_are_refused_before_any_request() -> None:
    class NoApp:
        def request(self, *args: Any) -> None:
            raise AssertionError("no request expected")

    with pytest.raises(AriUsageError, match="positive"):
        await record_channel_audio(NoApp(), "c", 0)
    with pytest.raises(AriUsageError, match="spy"):
        await record_channel_audio(NoApp(), "c", 1, app="a", spy="sideways")
    with pytest.raises(AriUsageError, match="app="):
        await record_channel_audio(NoApp(), "c", 1)


async def test_a_record_sent_before_the_snoop_entered_the_app_is_retried(
    ari: tuple[FakeAri, FakeSession],
) -> None:
    # Asterisk replies to the snoop before the snoop channel is in Stasis: the first records get 409.
    fake, session = ari
    fake.not_in_stasis = 2
    clip = await record_channel_audio(session, "chan-1", 0.01, name="rec-r", sleep=lambda s: asyncio.sleep(0))
    assert clip.duration > 0
    records = [c for c in fake.calls if c[1] == "/channels/snoop-1/record"]
    assert len(records) == 3 and fake.not_in_stasis == 0
    assert ("DELETE", "/channels/snoop-1", {}) in fake.calls  # cleaned up as usual


async def test_a_snoop_that_never_enters_the_app_fails_with_asterisks_message(
    ari: tuple[FakeAri, FakeSession],
) -> None:
    fake, session = ari
    fake.not_in_stasis = 10**6
    with pytest.raises(AriConflict, match="Channel not in Stasis application"):
        await record_channel_audio(session, "chan-1", 0.01, sleep=lambda s: asyncio.sleep(0))
    assert ("DELETE", "/channels/snoop-1", {}) in fake.calls  # the snoop is hung up
