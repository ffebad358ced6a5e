"""Assessment across groups: recognition awards ranking programs, sites or vendors by a
composite index of experience, quality, cost and revenue against targets (docs/awards.md)."""

from cxpm.assess.awards import Awards, SuperiorEntry, TransformationEntry, build_awards
from cxpm.assess.composite import COMPONENTS, GroupIndex, attainment

__all__ = ["COMPONENTS", "Awards", "GroupIndex", "SuperiorEntry", "TransformationEntry",
           "attainment", "build_awards"]
