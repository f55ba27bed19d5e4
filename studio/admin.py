"""Django loads ``studio.admin``; each module registers its own models."""

from .batch import admin as batch_admin  # noqa: F401
from .create import admin as create_admin  # noqa: F401
from .jobs import admin as jobs_admin  # noqa: F401
