from importlib import import_module

from django.apps import AppConfig

# The studio's modules, each a package with an ``operations.py`` that registers its
# module and operations in the catalog (``studio.jobs.registry``).
MODULES = ("create", "edit", "upscale", "control", "transform", "social", "tools", "batch")


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = "Studio"

    def ready(self) -> None:
        for module in MODULES:
            import_module(f"{self.name}.{module}.operations")
        # The pipeline's Celery tasks live in studio.jobs, not studio.tasks.
        import_module(f"{self.name}.jobs.tasks")
