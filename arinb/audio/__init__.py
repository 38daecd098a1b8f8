"""What a caller hears: the audio a channel sends, rendered as 8 kHz 16-bit PCM and played in the notebook.

>>> from arinb.audio import MediaSegment, render_clip, tone_spec
>>> ring = MediaSegment("ch", 0.0, 12.0, "tone", tone_spec("fr", "ring"))
>>> clip = render_clip([ring], 0.0, 12.0)      # an AudioClip: shows an <audio> player in Jupyter
>>> round(clip.dominant_frequency(0.1, 1.4))
440

* :func:`render` / :func:`render_clip`: a simulator media log -> PCM / :class:`AudioClip` (socket-free).
* :func:`audio_for_channel`: the same for one channel of a running simulator engine.
* :func:`record_channel_audio`: snoop + record a channel over ARI (real Asterisk or the simulator).
* :func:`tone_spec`, :func:`resolve_tone`, :class:`ToneProgram`: tone zones, Asterisk's playtones generator.
* :data:`WAV_READ_LOST_SAMPLES`: Asterisk never plays the last 22 samples of a ``.wav`` file.
"""

from arinb.audio.clip import AudioClip
from arinb.audio.files import (
    WAV_READ_LOST_SAMPLES,
    AudioFileError,
    GsmDecoderMissing,
    decode_file,
    find_sound,
    playable_samples,
    to_wav_bytes,
)
from arinb.audio.hooks import audio_for_channel, record_channel_audio
from arinb.audio.rendering import NO_AUDIO_FILES_NOTE, render, render_clip, segments_span
from arinb.audio.segments import MediaSegment
from arinb.audio.tones import (
    PLAYTONES_VOLUME,
    TONE_START_DELAY,
    TONE_STOP_DELAY,
    ToneProgram,
    ToneSpecError,
    resolve_tone,
    tone_program,
    tone_spec,
    tone_zones,
)

__all__ = [
    "NO_AUDIO_FILES_NOTE",
    "PLAYTONES_VOLUME",
    "TONE_START_DELAY",
    "TONE_STOP_DELAY",
    "WAV_READ_LOST_SAMPLES",
    "AudioClip",
    "AudioFileError",
    "GsmDecoderMissing",
    "MediaSegment",
    "ToneProgram",
    "ToneSpecError",
    "audio_for_channel",
    "decode_file",
    "find_sound",
    "playable_samples",
    "record_channel_audio",
    "render",
    "render_clip",
    "resolve_tone",
    "segments_span",
    "to_wav_bytes",
    "tone_program",
    "tone_spec",
    "tone_zones",
]
