from django.conf import settings

MODULES = [
    # (key, label, url name or "", one-line purpose)
    ("create", "Create", "studio:create", "Prompt to images with templates, styles and personas"),
    ("edit", "Edit", "", "Remove backgrounds, inpaint, outpaint, search & replace"),
    ("upscale", "Upscale", "", "Fast 4× and 4K conservative/creative upscales"),
    ("control", "Control", "", "Generate from a sketch, structure or style"),
    ("transform", "Transform", "", "Image to video, talking avatar, image to 3D"),
    (
        "social",
        "Social Optimizer",
        "studio:social_start",
        "Smart crops for every platform, safe zones",
    ),
    ("batch", "Batch", "", "CSV import, scheduling and bulk runs"),
    ("library", "Asset Library", "assets:library", "Everything you made or uploaded"),
    ("billing", "Billing", "billing:overview", "Plan, credits and usage"),
]


def studio(request):
    return {"STUDIO_MODULES": MODULES, "PROVIDERS_DEMO": settings.PROVIDERS_DEMO}
