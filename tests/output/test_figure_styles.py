"""output.figures: every variant of the catalogue in its own colour and line style in the learning curves."""

from __future__ import annotations

from runs_factory import make_run


def test_learning_curves_draw_each_variant_in_its_own_colour_and_style(tmp_path, monkeypatch):
    """Every catalogue variant (18) in one figure: one colour each, one (colour, line style) pair each, and more than one
    line style (on main, tab10's 10 colours: learn-probe and model0 shared one)."""
    import matplotlib.colors as mcolors

    from tp2core.output import figures
    from tp2core.recipe.variants import VARIANTS

    drawn = {}
    real_save = figures._save

    def capture(fig, path, title, caption):
        drawn["lines"] = [(line.get_label(), mcolors.to_hex(line.get_color()), line.get_linestyle())
                          for line in fig.axes[0].get_lines()]
        return real_save(fig, path, title, caption)

    monkeypatch.setattr(figures, "_save", capture)
    figures.learning_curves(tmp_path / "lc.png", {v: [make_run(v, 0)] for v in VARIANTS})
    lines = drawn["lines"]
    assert len(lines) == len(VARIANTS) == 18
    assert len({color for _, color, _ in lines}) == 18
    assert len({(color, style) for _, color, style in lines}) == 18 and len({s for *_, s in lines}) > 1
