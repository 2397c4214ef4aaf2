"""A node's identity vs the controller's: any difference refuses the node, naming it and the field."""

from __future__ import annotations

from tp2core.executor.identity import differences, node_identity, refusal
from tp2core.training.runs import RECIPE_VERSION


class TestNodeIdentity:
    def test_has_recipe_backend_and_library_versions(self, monkeypatch):
        """Recipe version, Keras backend, Python, keras, numpy and the backend's library (no TF import needed)."""
        ident = node_identity()
        backend = ident["keras_backend"]
        assert ident["recipe_version"] == RECIPE_VERSION and backend in ("tensorflow", "jax", "torch")
        assert ident["keras"] and ident["numpy"] and ident[backend]  # the active backend's library version

    def test_backend_library_follows_keras_backend(self, monkeypatch):
        """Under KERAS_BACKEND=jax the jax (and jaxlib) versions are part of the identity, not tensorflow's."""
        monkeypatch.setenv("KERAS_BACKEND", "jax")
        ident = node_identity()
        assert ident["keras_backend"] == "jax" and "jax" in ident and "tensorflow" not in ident


class TestRefusal:
    def test_same_identity_is_accepted(self):
        """Equal identities: no refusal."""
        assert refusal("hostA", "abc", node_identity(), node_identity()) is None

    def test_mismatch_names_node_and_every_difference(self):
        """The message names the host, the node id and each differing field with both values."""
        mine = node_identity()
        theirs = {**mine, "recipe_version": 99, "keras": "3.0.0"}
        msg = refusal("gpu-node-7", "0123456789abcdef", mine, theirs)
        assert msg.startswith("Ray node gpu-node-7 (0123456789ab) refused")
        assert f"recipe_version: controller {RECIPE_VERSION!r}, node 99" in msg
        assert f"keras: controller {mine['keras']!r}, node '3.0.0'" in msg

    def test_missing_field_is_a_difference(self):
        """A field only one side has (another backend's library) is a difference too."""
        assert differences({"a": 1}, {"a": 1, "torch": "2.5"}) == ["torch: controller None, node '2.5'"]
