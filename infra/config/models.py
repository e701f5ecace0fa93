"""The models a server serves (`servers[].models`): source, versions, version policy and labels.

One module for the model entry alone, so a new source kind or a new version rule lands here.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from infra.config.shared import DnsLabel, Strict


class ModelSource(Strict):
    """Where a model's SavedModel versions come from: an export recipe or a path."""

    recipe: Literal["tiny", "inception_v3", "resnet50"] | None = None
    """Built-in export recipe that produces the SavedModel; or set path."""
    weights: Literal["imagenet", "none"] = "none"
    """Recipe weights: imagenet (pretrained) or none (random, for tests)."""
    path: str | None = None
    """Directory, relative to the project root, with one SavedModel per version."""

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.recipe is None) == (self.path is None):
            raise ValueError("set exactly one of recipe or path")
        if self.recipe is None:
            if "weights" in self.model_fields_set:
                raise ValueError("weights: applies to a recipe, not a path")
            return self
        from model_images.catalog import RECIPES

        allowed = RECIPES[self.recipe].weights
        if self.weights not in allowed:
            raise ValueError(
                f"weights: recipe {self.recipe} takes weights {' or '.join(allowed)} "
                f"(got {self.weights!r})"
            )
        return self


class ModelSpec(Strict):
    name: DnsLabel
    """Model name clients ask for in Predict/Classify requests."""
    source: ModelSource
    """Where the SavedModel versions come from."""
    versions: list[Annotated[int, Field(ge=1)]] = Field(min_length=1)
    """Model versions baked into the image and served."""
    version_policy: Literal["latest", "all", "specific"] = "specific"
    """TF Serving version policy: serve the latest, all, or the listed ones."""
    version_labels: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")], int] = {}
    """Names for versions (stable: 2) clients may request instead of numbers."""

    @model_validator(mode="after")
    def _labels_point_at_versions(self) -> Self:
        if len(set(self.versions)) != len(self.versions):
            raise ValueError("versions: must not repeat a version")
        for label, version in self.version_labels.items():
            if version not in self.versions:
                raise ValueError(
                    f"versionLabels.{label}: version {version} is not in versions {self.versions}"
                )
        return self
