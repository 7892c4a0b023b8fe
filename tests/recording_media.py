"""WebM as Chromium's MediaRecorder writes it, made with PyAV for tests and
the benchmark: VP8 (and Opus) in a live Matroska stream, with no duration
and no cues, to be cut into chunks as a timeslice would."""

from __future__ import annotations

import io
import math
import struct
from fractions import Fraction

import av
from PIL import Image, ImageDraw


def live_webm(
    seconds: float, width: int = 320, height: int = 120, fps: int = 15, bit_rate: int = 300_000
) -> bytes:
    """``seconds`` of a moving picture whose left half is red and right half
    blue (two "cameras"), with a tone, as one live WebM stream."""
    out = io.BytesIO()
    # live=1: what MediaRecorder writes: unknown sizes, no cues, no duration.
    with av.open(out, "w", format="webm", options={"live": "1"}) as container:
        video = container.add_stream("libvpx", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.bit_rate = bit_rate
        video.gop_size = 2 * fps  # MediaRecorder sends a key frame every few seconds
        video.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
        audio = container.add_stream("libopus", rate=48000)
        audio.layout = "mono"
        frames = round(seconds * fps)
        samples = 960  # 20 ms, Opus's frame
        tone = struct.pack(
            f"<{samples}f", *(0.2 * math.sin(n * 2 * math.pi * 440 / 48000) for n in range(samples))
        )
        audio_frames = round(seconds * 48000 / samples)
        sent_audio = 0
        for index in range(frames):
            picture = Image.new("RGB", (width, height), (200, 30, 30))
            draw = ImageDraw.Draw(picture)
            draw.rectangle((width // 2, 0, width, height), fill=(30, 30, 200))
            x = (index * 4) % (width // 2)
            draw.rectangle((x, height // 3, x + 8, height // 3 + 8), fill=(255, 255, 255))
            frame = av.VideoFrame.from_image(picture)
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(video.encode(frame))
            # Audio up to this video frame's time, so the two interleave.
            while sent_audio < audio_frames and sent_audio * samples / 48000 <= (index + 1) / fps:
                piece = av.AudioFrame(format="flt", layout="mono", samples=samples)
                piece.planes[0].update(tone)
                piece.sample_rate = 48000
                piece.pts = sent_audio * samples
                piece.time_base = Fraction(1, 48000)
                container.mux(audio.encode(piece))
                sent_audio += 1
        container.mux(video.encode(None))
        container.mux(audio.encode(None))
    return out.getvalue()


def chunks(data: bytes, count: int) -> list[bytes]:
    """``data`` cut into ``count`` pieces, as a timeslice cuts the stream."""
    size = -(-len(data) // count)
    return [data[start : start + size] for start in range(0, len(data), size)]


def fragmented_mp4(seconds: float, width: int = 320, height: int = 120, fps: int = 15) -> bytes:
    """H.264 in a fragmented MP4 with no index up front, as Safari's
    MediaRecorder writes it."""
    out = io.BytesIO()
    options = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
    with av.open(out, "w", format="mp4", options=options) as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "tune": "zerolatency"}
        video.gop_size = fps
        for index in range(round(seconds * fps)):
            shade = (index * 7) % 200
            frame = av.VideoFrame.from_image(Image.new("RGB", (width, height), (shade, 80, 120)))
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    return out.getvalue()
