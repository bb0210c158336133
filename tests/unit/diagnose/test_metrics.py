import math

import numpy as np
import pytest

from hil.diagnose.metrics import (
    SNR_CAP_DB,
    Layer,
    compare_layers,
    cosine,
    first_jump,
    max_abs,
    output_error,
    rank_contributions,
    snr_db,
)


def test_snr_matches_the_definition_on_a_hand_made_pair():
    ref = [np.array([3.0, 4.0])]  # norm 5
    got = [np.array([3.0, 4.5])]  # noise norm 0.5
    assert snr_db(ref, got) == pytest.approx(20 * math.log10(10))
    assert max_abs(ref, got) == pytest.approx(0.5)


def test_snr_agrees_with_onnx_runtime_qdq_loss_debug():
    from onnxruntime.quantization.qdq_loss_debug import compute_signal_to_quantization_noice_ratio

    rng = np.random.default_rng(0)
    ref = [rng.normal(size=(2, 8)).astype(np.float32) for _ in range(3)]
    got = [r + rng.normal(scale=0.05, size=r.shape).astype(np.float32) for r in ref]
    assert snr_db(ref, got) == pytest.approx(compute_signal_to_quantization_noice_ratio(ref, got), abs=1e-4)


def test_cosine_ignores_scale_and_sees_sign():
    ref = [np.array([1.0, 2.0, 3.0])]
    assert cosine(ref, [np.array([2.0, 4.0, 6.0])]) == pytest.approx(1.0)
    assert cosine(ref, [np.array([-1.0, -2.0, -3.0])]) == pytest.approx(-1.0)
    assert cosine([np.zeros(3)], [np.zeros(3)]) == 1.0
    assert cosine([np.zeros(3)], [np.ones(3)]) == 0.0


def test_identical_tensors_have_the_capped_snr():
    ref = [np.ones((4, 4))]
    assert snr_db(ref, ref) == SNR_CAP_DB


def test_sizes_that_differ_are_an_error():
    with pytest.raises(ValueError, match="sizes differ"):
        snr_db([np.ones(3)], [np.ones(4)])


def _chain(noise: list[float]) -> tuple[list[Layer], dict, dict]:
    rng = np.random.default_rng(1)
    layers, ref, test = [], {}, {}
    for i, scale in enumerate(noise):
        t = rng.normal(size=64)
        layers.append(Layer(name=f"/conv{i}/Conv", op="Conv", tensor=f"t{i}"))
        ref[f"t{i}"] = [t]
        test[f"t{i}"] = [t + scale * rng.normal(size=64)]
    return layers, ref, test


def test_compare_layers_keeps_graph_order_and_skips_fused_layers():
    layers, ref, test = _chain([0.01, 0.02, 0.03])
    del test["t1"]  # fused away by the converter
    errors = compare_layers(layers, ref, test)
    assert [e.name for e in errors] == ["/conv0/Conv", "/conv2/Conv"]
    assert [e.depth for e in errors] == [0, 1]
    assert errors[0].snr_db > errors[1].snr_db


def test_first_jump_finds_the_step_not_the_slow_growth():
    # noise grows slowly (about 2 dB a layer), then one layer is 10x worse (20 dB down).
    layers, ref, test = _chain([0.010, 0.013, 0.016, 0.16, 0.17])
    errors = compare_layers(layers, ref, test)
    jump = first_jump(errors)
    assert jump is not None and jump.name == "/conv3/Conv"
    healthy = _chain([0.010, 0.013, 0.016, 0.02])
    assert first_jump(compare_layers(*healthy)) is None


def test_a_broken_first_layer_is_the_jump():
    layers, ref, test = _chain([1.0, 1.0])
    jump = first_jump(compare_layers(layers, ref, test))
    assert jump is not None and jump.depth == 0


def test_output_error_is_the_mean_squared_difference():
    ref = {"a": [np.array([0.0, 0.0])], "b": [np.array([1.0, 1.0])]}
    got = {"a": [np.array([1.0, 0.0])], "b": [np.array([1.0, 3.0])]}
    assert output_error(ref, got) == pytest.approx((1 + 4) / 4)
    with pytest.raises(ValueError, match="missing"):
        output_error(ref, {"a": got["a"]})


def test_ranking_orders_by_share_of_the_error_removed():
    ranked = rank_contributions(2.0, {"early": 1.8, "late": 0.5, "harmful": 2.4, "mid": 1.0})
    assert [c.name for c in ranked] == ["late", "mid", "early", "harmful"]
    assert ranked[0].share == pytest.approx(0.75)
    assert ranked[-1].share == pytest.approx(-0.2)


def test_ranking_of_a_lossless_model_is_all_zero():
    assert {c.share for c in rank_contributions(0.0, {"a": 0.0, "b": 0.0})} == {0.0}


def _errs(snrs: list[float]) -> list:
    from hil.diagnose.metrics import LayerError

    return [LayerError(i, f"L{i}", "Conv", f"t{i}", 0.99, s, 0.1) for i, s in enumerate(snrs)]


def test_verdict_blames_the_converter_where_the_board_falls_behind_the_host():
    from hil.diagnose.metrics import verdict

    v = verdict(_errs([40, 38, 36, 34]), _errs([40, 37, 12, 11]))
    assert (v.source, v.layer) == ("converter", "L2")


def test_verdict_blames_quantization_when_the_host_loses_too():
    from hil.diagnose.metrics import verdict

    v = verdict(_errs([40, 38, 12, 11]), _errs([40, 37, 11, 10]))
    assert (v.source, v.layer) == ("quantization", "L2")
    assert verdict(_errs([40, 38, 36]), _errs([39, 37, 35])).source == "none"
    assert verdict(_errs([40, 12]), None).source == "quantization"
