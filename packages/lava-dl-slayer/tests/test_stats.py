"""LearningStat(s): accumulation, best flags, formatting, printing, save/load, plots."""

import io

import matplotlib
import pytest

from lava.lib.dl.slayer.utils import LearningStat, LearningStats

matplotlib.use("Agg")


def _epoch(stats, train=(4, 2.0, 3), test=None):
    stats.training.num_samples += train[0]
    stats.training.loss_sum += train[1]
    stats.training.correct_samples += train[2]
    if test is not None:
        stats.testing.num_samples += test[0]
        stats.testing.loss_sum += test[1]
        stats.testing.correct_samples += test[2]
    stats.update()


def test_learning_stat_values_and_best_flags():
    stat = LearningStat()
    assert stat.loss is None and stat.accuracy is None and str(stat) == ""
    stat.num_samples, stat.loss_sum = 4, 2.0
    assert stat.loss == 0.5 and stat.accuracy == 0.0  # samples but none correct: 0, not None
    stat.update()
    assert stat.best_loss and stat.best_accuracy and stat.max_accuracy == 0.0
    assert stat.min_loss == 0.5 and stat.loss_log == [0.5] and stat.accuracy_log == [0.0]
    stat.reset()
    stat.num_samples, stat.loss_sum, stat.correct_samples = 2, 2.0, 2
    stat.update()
    assert not stat.best_loss and stat.best_accuracy
    assert stat.min_loss == 0.5 and stat.max_accuracy == 1.0
    assert stat.loss_log == [0.5, 1.0] and stat.accuracy_log == [0.0, 1.0]


def test_str_format():
    stats = LearningStats()
    _epoch(stats, train=(4, 2.0, 3))
    stats.training.num_samples, stats.training.loss_sum = 2, 0.5
    stats.training.correct_samples = 1
    text = str(stats.training)
    assert text == ("loss =     0.25000 (min =     0.50000)    accuracy = 0.50000 (max = 0.75000)")
    assert str(stats).startswith("Train loss")
    assert "Test" not in str(stats)  # phases without data are omitted


def test_update_resets_accumulators():
    stats = LearningStats()
    _epoch(stats, test=(2, 1.0, 1))
    for stat in (stats.training, stats.testing, stats.validation):
        assert stat.num_samples == 0 and stat.loss_sum == 0 and stat.correct_samples == 0
    assert stats.validation.loss_log == [None]
    assert stats.testing.loss_log == [0.5] and stats.testing.accuracy_log == [0.5]


def test_save_format_and_load_roundtrip(tmp_path):
    stats = LearningStats()
    _epoch(stats, train=(4, 2.0, 3), test=(2, 0.5, 2))
    _epoch(stats, train=(4, 1.0, 4), test=(2, 0.25, 1))
    stats.save(str(tmp_path) + "/")
    raw = (tmp_path / "loss.txt").read_bytes()
    assert raw == (
        b"# Train        Test        \r\n"
        b"    0.500000     0.250000 \r\n"
        b"    0.250000     0.125000 \r\n"
    )
    acc = (tmp_path / "accuracy.txt").read_bytes().split(b"\r\n")
    assert acc[0] == b"# Train        Test        "
    assert acc[1] == b"    0.750000     1.000000 "
    again = LearningStats()
    again.load(str(tmp_path) + "/")
    assert again.training.loss_log == [0.5, 0.25]
    assert again.testing.accuracy_log == [1.0, 0.5]
    assert again.testing.max_accuracy == 1.0 and again.training.min_loss == 0.25


def test_save_regression_has_no_accuracy_file(tmp_path):
    stats = LearningStats()
    stats.training.num_samples, stats.training.loss_sum = 1, 3.0
    stats.update()
    stats.save(str(tmp_path) + "/")
    assert (tmp_path / "loss.txt").exists()
    assert stats.training.accuracy_log == [0.0]  # samples, none correct: 0.0, not None
    assert not stats.training.valid_accuracy_log
    assert not (tmp_path / "accuracy.txt").exists()
    assert "accuracy" not in str(stats)


def test_load_rejects_garbage(tmp_path):
    (tmp_path / "loss.txt").write_text("hello\n1 2\n")
    with pytest.raises(ValueError, match="header"):
        LearningStats().load(str(tmp_path) + "/")
    (tmp_path / "loss.txt").write_text("# Train  Epoch\n1 2\n")
    with pytest.raises(ValueError, match="unknown column"):
        LearningStats().load(str(tmp_path) + "/")


def test_print_rewrites_block():
    stats = LearningStats()
    _epoch(stats)
    stats.training.num_samples, stats.training.loss_sum = 1, 1.0
    out = io.StringIO()
    stats.print(0, iter=3, time_elapsed=0.25, header=["run"], file=out)
    first = out.getvalue()
    assert "\033[2Krun\n" in first and "Epoch    0: i =     3, 250 ms elapsed" in first
    assert "\033[" + "3A" not in first
    stats.print(1, file=out)
    assert out.getvalue()[len(first) :].startswith("\033[3A")


def test_plot_writes_png(tmp_path):
    stats = LearningStats()
    _epoch(stats, test=(2, 0.5, 2))
    _epoch(stats, test=(2, 0.25, 1))
    loss_fig, acc_fig = stats.plot(path=str(tmp_path) + "/")
    assert loss_fig is not None and acc_fig is not None
    assert (tmp_path / "loss.png").stat().st_size > 0
    assert (tmp_path / "accuracy.png").stat().st_size > 0
