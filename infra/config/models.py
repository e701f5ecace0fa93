"""The models a server serves (`servers[].models`): source, versions, version policy and labels.

One module for the model entry alone, so a new source kind or a new version rule lands here.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from infra.config.shared import MAX_SAFE_INT, DnsLabel, RepoPath, Strict

# gs://<bucket>/<prefix> (bucket names per https://cloud.google.com/storage/docs/buckets#naming)
# or file:///<absolute directory>; one directory per version below it.
SourceUri = Annotated[
    str,
    StringConstraints(
        pattern=r"^(gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](/[A-Za-z0-9._~@+=-]+)+|file:///[^\s]+)$"
    ),
]


class ModelSource(Strict):
    """Where a model's published versions live, and how `models publish` makes new ones.

    Plans and images follow the model lock (model_images/models.lock), which records each
    published version's location and digest; these keys say where versions are published.
    """

    uri: SourceUri | None = None
    """Bucket prefix (gs://bucket/prefix) or file:// directory, one directory per version."""
    path: RepoPath | None = None
    """Directory inside the repository, one SavedModel per version (tiny test models)."""
    recipe: Literal["tiny", "inception_v3", "resnet50"] | None = None
    """Built-in export recipe `servestack models publish` uses to make a new version."""
    weights: Literal["imagenet", "none"] = "none"
    """Recipe weights: imagenet (pretrained) or none (random, for tests)."""

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.uri is None) == (self.path is None):
            raise ValueError("set exactly one of uri or path (where versions are published)")
        if self.recipe is None:
            if "weights" in self.model_fields_set:
                raise ValueError("weights: applies to a recipe")
            return self
        from model_images.catalog import RECIPES

        allowed = RECIPES[self.recipe].weights
        if self.weights not in allowed:
            raise ValueError(
                f"weights: recipe {self.recipe} takes weights {' or '.join(allowed)} "
                f"(got {self.weights!r})"
            )
        return self

    @property
    def base(self) -> str:
        """The published location of the versions: the uri, or the repository path."""
        location = self.uri if self.uri is not None else self.path
        assert location is not None
        return location.rstrip("/")


class ModelSpec(Strict):
    name: DnsLabel
    """Model name clients ask for in Predict/Classify requests."""
    source: ModelSource
    """Where the SavedModel versions come from."""
    versions: list[Annotated[int, Field(ge=1, le=MAX_SAFE_INT)]] = Field(min_length=1)
    """Model versions baked into the image and served."""
    version_policy: Literal["latest", "all", "specific"] = "specific"
    """TF Serving version policy: serve the latest, all, or the listed ones."""
    version_labels: dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,62}$")],
        Annotated[int, Field(ge=1, le=MAX_SAFE_INT)],
    ] = {}
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
            # `latest` loads only the highest version in the base path (num_versions: 1);
            # a label elsewhere would name a version TF Serving never loads, and
            # --allow_version_labels_for_unavailable_models would hide that until a
            # request for the label fails (tensorflow_serving/model_servers/
            # server_core.cc:514-552 at 2.19.1). `all` and `specific` load every listed one.
            if self.version_policy == "latest" and version != max(self.versions):
                raise ValueError(
                    f"versionLabels.{label}: version {version} never loads under "
                    f"versionPolicy latest (only {max(self.versions)} does); use "
                    "versionPolicy specific or label the latest version"
                )
        return self
