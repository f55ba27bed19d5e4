"""Transform: image to video (WaveSpeed WAN 2.5), talking avatar (WaveSpeed InfiniteTalk)
and image to 3D (Stability Fast 3D → GLB).

Video is priced per second at the chosen resolution (the price table's tiers); the avatar
per second of the speech, measured on the server when the recording is uploaded. Outputs are
library items of their own kind (video, 3D model) made from the portrait or image, which is
their parent.
"""

from __future__ import annotations

from typing import Any

from providers.base import Capability, InvalidInput, ProviderRequest
from studio.jobs.engines import engine_params
from studio.jobs.registry import Module, Operation, register, register_module
from studio.jobs.remote import module_in_plan, provider_runner, read_asset

from .forms import ImageTo3DForm, ImageToVideoForm, TalkingAvatarForm

MODEL_VIEWER_VERSION = "4.4.0"


def _expand(capability: Capability):
    settle = engine_params(capability)

    def expand(params: dict[str, Any], inputs: list) -> dict[str, Any]:
        # The recording goes with the job as a private file, not in its params.
        out = {k: v for k, v in params.items() if k != "audio"}
        if capability in (Capability.IMAGE_TO_VIDEO, Capability.TALKING_AVATAR):
            out["tier"] = out.get("resolution") or (
                "720p" if capability == Capability.IMAGE_TO_VIDEO else "480p"
            )
        if capability == Capability.IMAGE_TO_VIDEO:
            # Priced per second of video: the clip's length, also before the form is filled.
            out["seconds"] = int(out.get("duration") or 5)
        if capability == Capability.TALKING_AVATAR and not out.get("seconds"):
            # Before the recording is on the server the page's own reading of its length
            # prices the button; the hold always uses the server's measurement.
            out["seconds"] = float(out.get("duration_hint") or 0)
        out.pop("duration_hint", None)
        module_in_plan("transform", "Transform", inputs)
        return settle(out, inputs)

    return expand


def _audio_bytes(files: dict) -> bytes:
    audio = files.get("audio")
    if audio is None:
        raise InvalidInput("The recording for this job is missing; run it again with the audio.")
    return audio


def _seed(params: dict[str, Any]) -> int | None:
    return int(params["seed"]) if params.get("seed") not in (None, "") else None


def _build_video(spec, params: dict[str, Any], inputs: list, files: dict) -> ProviderRequest:
    request = ProviderRequest(
        capability=Capability.IMAGE_TO_VIDEO,
        image=read_asset(inputs[0]),
        prompt=(params.get("prompt") or "").strip(),
        negative_prompt=(params.get("negative_prompt") or "").strip(),
        seed=_seed(params),
        params={
            "resolution": params.get("resolution") or "720p",
            "duration": str(params.get("duration") or "5"),
            "enable_prompt_expansion": bool(params.get("enable_prompt_expansion")),
        },
    )
    if "audio" in files:
        request.extra_images["audio"] = files["audio"]
    return request


def _build_avatar(spec, params: dict[str, Any], inputs: list, files: dict) -> ProviderRequest:
    return ProviderRequest(
        capability=Capability.TALKING_AVATAR,
        image=read_asset(inputs[0]),
        prompt=(params.get("prompt") or "").strip(),
        seed=_seed(params),
        extra_images={"audio": _audio_bytes(files)},
        params={"resolution": params.get("resolution") or "480p"},
    )


def _build_3d(spec, params: dict[str, Any], inputs: list, files: dict) -> ProviderRequest:
    names = ("texture_resolution", "foreground_ratio", "remesh", "vertex_count")
    return ProviderRequest(
        capability=Capability.IMAGE_TO_3D,
        image=read_asset(inputs[0]),
        params={k: params[k] for k in names if params.get(k) not in (None, "")},
    )


register_module(
    Module(
        key="transform",
        label="Transform",
        order=40,
        description="Bring a picture to life: a video clip, a talking portrait or a 3D model.",
        action_label="Transform",
        url_name="studio:transform_start",
        asset_url_name="studio:transform",
        page_template="transform/page.html",
    )
)


def _op(key, label, verb, progress, form, description, build, **extra) -> Operation:
    return Operation(
        key=key,
        module="transform",
        label=label,
        verb=verb,
        progress_message=progress,
        capability=form.capability,
        form_class=form,
        description=description,
        provider="wavespeed" if form.capability != Capability.IMAGE_TO_3D else "stability",
        expand_params=_expand(form.capability),
        runner=provider_runner(build),
        page_context=lambda asset: {"model_viewer_version": MODEL_VIEWER_VERSION},
        **extra,
    )


register(
    _op(
        "transform.image_to_video",
        "Image to video",
        "Make video",
        "Animating… (a minute or two)",
        ImageToVideoForm,
        "A 5 or 10 second clip that starts from this image, priced per second at the resolution.",
        _build_video,
        runner_takes_files=True,
    ),
    _op(
        "transform.talking_avatar",
        "Talking avatar",
        "Make it talk",
        "Animating the portrait… (about 10–30 s of work per second of speech)",
        TalkingAvatarForm,
        "This portrait speaks your recording: the video is as long as the speech and priced by it.",
        _build_avatar,
        runner_takes_files=True,
    ),
    _op(
        "transform.image_to_3d",
        "Image to 3D",
        "Make 3D model",
        "Lifting the object to 3D…",
        ImageTo3DForm,
        "A textured GLB model of the object in this image, with a viewer to orbit and zoom.",
        _build_3d,
    ),
)
