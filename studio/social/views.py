"""Social Optimizer pages: pick an image, then its formats, crops and previews."""

from django.contrib.auth.decorators import login_required

from studio.jobs.views import module_start, operation


@login_required
def social_start(request):
    """Pick the image to optimise: recent library images, or upload a new one."""
    return module_start(request, module="social")


@login_required
def social(request, asset_id):
    """The Social Optimizer for one image: formats, crop mode, live previews, export."""
    return operation(request, asset_id, "social.pack")
