"""Which frames a diagnosis looks at: stratified, or the worst of many for the QDQ model."""

from pathlib import Path

from hil.diagnose import host
from hil.diagnose.diagnosis import frames_for
from hil.diagnose.metrics import output_error

ROOT = Path(__file__).resolve().parents[3]
FP32 = ROOT / "artifacts/models/dms-face.onnx"
INT8 = ROOT / "artifacts/models/dms-face.int8.onnx"
CLIPS = sorted((ROOT / "artifacts/clips").glob("*.mp4"))


def _error(feeds) -> float:
    return output_error(host.run_outputs(FP32, feeds), host.run_outputs(INT8, feeds))


def test_worst_frames_are_where_the_qdq_model_departs_most():
    plain = frames_for(FP32, CLIPS, 3)
    worst = frames_for(FP32, CLIPS, 3, INT8)
    assert len(plain) == len(worst) == 3
    assert _error(worst) > _error(plain)
    assert [f["image"].tobytes() for f in worst] == [
        f["image"].tobytes() for f in frames_for(FP32, CLIPS, 3, INT8)
    ]
