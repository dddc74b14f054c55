"""The end-of-run summary: utterances, reconnects, audio dropped, underruns, latency."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from translator.profile.model import Profile


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100.0 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _figures(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": max(values) if values else None,
    }


def summarize(
    profile: Profile, sessions: Sequence[Any], player: Any, pipelines: Sequence[Any], *, fast: bool = False
) -> dict[str, Any]:
    directions: dict[str, Any] = {}
    for s in sessions:
        lat = s.stats.latencies
        directions[s.key] = {
            "utterances": s.stats.utterances,
            "reconnects": s.stats.reconnects,
            "renewals": s.stats.renewals,
            "retries": s.stats.retries,
            "server_errors": s.stats.errors,
            "audio_dropped_ms": s.utterances.dropped_ms,
            "latency_ms": {
                "end_to_first_audio": _figures(
                    [x.end_to_first_audio_ms for x in lat if x.end_to_first_audio_ms]
                ),
                "end_to_final_text": _figures(
                    [x.end_to_final_text_ms for x in lat if x.end_to_final_text_ms]
                ),
                "ear_voice_span": _figures([x.ear_voice_span_ms for x in lat if x.ear_voice_span_ms]),
            },
            "per_utterance": [
                {
                    "end_to_first_audio_ms": x.end_to_first_audio_ms,
                    "end_to_final_text_ms": x.end_to_final_text_ms,
                    "ear_voice_span_ms": x.ear_voice_span_ms,
                }
                for x in lat
            ],
        }
    playback: dict[str, Any] | None = None
    if player is not None:
        stats = player.stats
        playback = {
            "underruns": stats.underruns,
            "lost_ms": stats.lost_ms,
            "dropped_ms": stats.dropped_ms,
            "devices": [dataclasses.asdict(d) for d in stats.devices],
        }
    return {
        "profile": profile.name,
        "input_audio_s": round(sum(p.input_ms for p in pipelines) / 1000.0, 2),
        "realtime": not fast,  # --fast: the latency figures measure nothing a listener hears
        "directions": directions,
        "playback": playback,
    }


def format_summary(summary: dict[str, Any]) -> list[str]:
    """A few human lines for stderr at the end of a run."""
    lines = [f"translated {summary['input_audio_s']} s of input"]
    if summary["directions"] and not any(d["utterances"] for d in summary["directions"].values()):
        lines = [f"no speech was found in {summary['input_audio_s']} s of input; nothing was translated"]
    realtime = summary.get("realtime", True)
    if not realtime:
        lines[0] += " (--fast: no real-time latency figures)"
    for key, d in summary["directions"].items():
        evs = d["latency_ms"]["ear_voice_span"]
        first = d["latency_ms"]["end_to_first_audio"]
        lat = ""
        if first["p50"] is not None and realtime:
            lat = (
                f"; end→first audio p50 {first['p50']:.0f} ms p95 {first['p95']:.0f} ms"
                f" max {first['max']:.0f} ms"
                f"; ear-voice span p50 {evs['p50']:.0f} ms p95 {evs['p95']:.0f} ms"
            )
        lines.append(
            f"{key}: {d['utterances']} utterances, {d['reconnects']} reconnects, {d['renewals']} renewals, "
            f"{d['audio_dropped_ms']} ms audio dropped{lat}"
        )
    playback = summary.get("playback")
    if playback:
        lines.append(
            f"playback: {playback['underruns']} underruns ({playback['lost_ms']} ms lost), "
            f"{playback['dropped_ms']} ms dropped"
        )
    return lines
