"""Mode, LayerMode and Scheduler: the schedule sequences of spec §12.1-12.3."""

from __future__ import annotations

import itertools

import pytest

from lava.lib.dl import bootstrap
from lava.lib.dl.bootstrap.routine import LayerMode, Mode, Scheduler


def names(layer_mode, n=4):
    return [m.name for m in itertools.islice(layer_mode, n)]


def test_mode_values_and_reexport():
    assert [(m.name, m.value) for m in Mode] == [("SNN", 0), ("ANN", 1), ("SAMPLE", 2),
                                                 ("FIT", 3)]
    assert bootstrap.Mode is Mode


def test_layer_mode_crossover_and_sample():
    assert names(LayerMode(2, Mode.ANN)) == ["SNN", "SNN", "ANN", "ANN"]
    assert names(LayerMode(0, Mode.FIT)) == ["FIT"] * 4
    assert names(LayerMode(3, Mode.SAMPLE)) == ["SAMPLE"] * 4  # crossover ignored
    # endless, and every iteration restarts at layer 0
    m = LayerMode(1, Mode.ANN)
    assert names(m, 3) == names(m, 3) == ["SNN", "ANN", "ANN"]
    assert [next(m), next(m)] == [Mode.SNN, Mode.ANN]
    assert m.base_mode is Mode.ANN and m.crossover == 1


def test_layer_mode_str_and_errors():
    assert str(LayerMode(0, Mode.SNN)) == "Mode: SNN"
    assert str(LayerMode(2, Mode.ANN)) == "Mode: ANN, Crossover at: 2"
    with pytest.raises(TypeError, match="bootstrap Mode"):
        LayerMode(0, "ANN")
    with pytest.raises(ValueError, match="crossover"):
        LayerMode(-1, Mode.ANN)


def test_default_schedule_sequence():
    s = Scheduler()
    epoch0 = [s.mode(0, i).base_mode.name for i in range(13)]
    assert epoch0 == ["SAMPLE"] * 10 + ["FIT", "ANN", "ANN"]
    for epoch in (1, 5, 9, 11):
        assert {s.mode(epoch, i).base_mode for i in range(13)} == {Mode.ANN}
    assert [s.mode(10, i).base_mode for i in (9, 10, 11)] == [Mode.SAMPLE, Mode.FIT, Mode.ANN]
    # evaluation: SNN in sampling epochs, ANN otherwise
    assert [s.mode(e, 0, False).base_mode for e in (0, 1, 10, 19, 20)] == [
        Mode.SNN, Mode.ANN, Mode.SNN, Mode.ANN, Mode.SNN]


def test_custom_schedule():
    s = Scheduler(num_sample_iter=2, sample_period=3)
    got = {(e, i): s.mode(e, i).base_mode.name for e in range(7) for i in range(4)}
    for (e, i), name in got.items():
        expect = "ANN" if e % 3 else ("SAMPLE" if i < 2 else "FIT" if i == 2 else "ANN")
        assert name == expect, (e, i)
    assert s.is_sampling_epoch(6) and not s.is_sampling_epoch(7)
    none = Scheduler(num_sample_iter=0, sample_period=1)
    assert none.mode(4, 0).base_mode is Mode.FIT  # no sampling iteration: fit at once


def test_crossover_is_idempotent():
    s = Scheduler(crossover_epochs=[2, 4])
    assert s.mode(0, 0).crossover == 0
    assert s.mode(2, 0).crossover == 1
    assert s.mode(2, 0).crossover == 1  # lava-dl 0.6 incremented again here
    assert s.mode(2, 5).crossover == 1
    assert names(s.mode(3, 0), 3) == ["SNN", "ANN", "ANN"]
    assert s.mode(3, 0, False).crossover == 1
    assert s.mode(4, 0).crossover == 2 and s.mode(9, 0).crossover == 2
    assert names(s.mode(10, 0), 3) == ["SAMPLE"] * 3
    # resuming late counts every crossover epoch passed
    late = Scheduler(crossover_epochs=[2, 4])
    assert late.mode(7, 3).crossover == 2
    # evaluation never moves the crossover
    ev = Scheduler(crossover_epochs=[1])
    assert ev.mode(5, 0, False).crossover == 0


def test_snn_stat_sync_and_update():
    from lava.lib.dl.slayer.utils import LearningStat

    s = Scheduler()
    stat = LearningStat()
    stat.num_samples, stat.loss_sum, stat.correct_samples = 10, 5.0, 7
    s.sync_snn_stat(stat)
    assert (s.snn_stat.num_samples, s.snn_stat.loss_sum, s.snn_stat.correct_samples) == (
        10, 5.0, 7)
    s.update_snn_stat()
    assert s.snn_stat.best_accuracy and s.snn_stat.max_accuracy == pytest.approx(0.7)
    assert s.snn_stat.num_samples == 0 and s.snn_stat.accuracy_log == [pytest.approx(0.7)]
    stat.correct_samples = 5
    s.sync_snn_stat(stat)
    s.update_snn_stat()
    assert not s.snn_stat.best_accuracy


@pytest.mark.parametrize("kwargs", [{"num_sample_iter": -1}, {"sample_period": 0}])
def test_scheduler_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        Scheduler(**kwargs)
