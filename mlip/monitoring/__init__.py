"""The kit's monitoring library: drift statistics, drifting telemetry streams, alerts, scores.

Students use the statistics (:func:`ks_drift`, :func:`population_stability_index`,
:func:`category_psi`, :class:`PageHinkley`) inside their monitors; the monitoring checks use the
streams (:func:`build_stream`) and the score scale (:func:`score_stream` and the credits). Heavy
libraries (numpy, scipy) load only when a statistic or a stream is computed.
"""

from __future__ import annotations

from mlip.monitoring._scoring import (
    QUIET_FULL,
    QUIET_HALF,
    Alert,
    EpisodeScore,
    StreamScore,
    detection_credit,
    false_alarm_credit,
    replay,
    score_stream,
)
from mlip.monitoring._statistics import (
    DriftTest,
    PageHinkley,
    category_psi,
    ks_drift,
    population_stability_index,
)
from mlip.monitoring._streams import DriftStream, Segment, StreamSpec, build_stream

__all__ = [
    "QUIET_FULL",
    "QUIET_HALF",
    "Alert",
    "DriftStream",
    "DriftTest",
    "EpisodeScore",
    "PageHinkley",
    "Segment",
    "StreamScore",
    "StreamSpec",
    "build_stream",
    "category_psi",
    "detection_credit",
    "false_alarm_credit",
    "ks_drift",
    "population_stability_index",
    "replay",
    "score_stream",
]
