"""What every rivermap algorithm shares: names, parameters, inputs, jobs, errors, outputs.

An algorithm is a thin face over :mod:`rivermap.pipeline`, as the command line
is. Its QGIS side (here and in its module) never imports rivermap: it turns
its parameters into a *job* of plain data (files, options, the parameters'
labels) that :mod:`rivermap_qgis.steps` runs with the pipeline, in a Python
of rivermap's own or in QGIS's (:func:`rivermap_qgis.library.backend`), and
hands the files written back to QGIS. No computation is repeated here; the
parameters' defaults and choices are rivermap's own
(:attr:`rivermap_qgis.library.Backend.params`).

* **Inputs.** A layer is given to rivermap as a file: its own file when QGIS
  reads it with OGR from a format rivermap reads (and no selection or filter
  applies), otherwise a copy QGIS writes to its temporary folder
  (``parameterAsCompatibleSourceLayerPath``). Messages that name such a copy
  name the layer instead.
* **Errors.** rivermap's errors (a :class:`rivermap.errors.RivermapError`, an
  ``OSError`` about a file) come back as their one line and become a
  :class:`QgsProcessingException` with that line; anything else is a bug and
  comes back, and is raised, with its traceback. Options are checked by
  :func:`rivermap.pipeline.check_options` before any work, named by their
  parameter. rivermap's warnings go to the log as warnings.
* **Progress.** The steps of an algorithm move the progress bar. A cancel
  kills the other Python at once; in QGIS's own Python it is honoured
  between steps (a step itself, such as the assignment, runs to its end).
* **Outputs.** Files are written by the library, atomically; the path QGIS
  chose is overwritten, as QGIS's own algorithms do (its file dialog asks
  first). GeoPackage layers are loaded into the project on completion, each
  with the style rivermap stored in the GeoPackage's ``layer_styles`` table,
  polygons placed below the lines of the same file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsProcessingUtils,
    QgsProviderRegistry,
    QgsWkbTypes,
)
from qgis.PyQt.QtGui import QIcon

from rivermap_qgis import library

__all__ = [
    "LAYER_TITLES",
    "VECTOR_FORMATS",
    "RivermapAlgorithm",
    "Run",
    "add_choice",
    "add_file",
    "add_lang",
    "add_number",
    "add_output",
    "add_result",
    "add_text",
    "both",
    "options",
]

#: Files rivermap's readers take as they are; other layers are copied first.
VECTOR_FORMATS = ["gpkg", "shp", "geojson", "json", "fgb", "gml", "kml", "tab", "sqlite"]
#: Formats holding several layers: the layer's name is passed on.
MULTI_LAYER = (".gpkg", ".sqlite")
#: The Processing toolbox's groups.
GROUPS: dict[str, tuple[str, str]] = {
    "responsibility": ("责任划分", "Responsibility"),
    "reports": ("工单与巡河", "Reports and patrols"),
    "maps": ("地图与图册", "Maps and atlas"),
}
#: The names layers are loaded under, by their name in rivermap's GeoPackages.
LAYER_TITLES: dict[str, tuple[str, str]] = {
    "reaches": ("河段", "reaches"),
    "rivers": ("河流", "rivers"),
    "units": ("行政单元", "units"),
    "flags": ("需关注河流", "flags"),
    "segments": ("方案河段", "plan segments"),
    "changes": ("易主河段", "changes"),
    "events": ("工单", "reports"),
    "patrols": ("巡河轨迹", "patrols"),
}
_ICON = Path(__file__).resolve().parents[1] / "icon.svg"


def both(zh: str, en: str) -> str:
    """Return a label in Chinese and English: ``"河流 / Rivers"``."""
    return f"{zh} / {en}"


def options() -> dict[str, Any]:
    """Return rivermap's options (:mod:`rivermap.params`): defaults and choices, by name."""
    return library.backend().params


# ================================================================ parameters
def add_result(
    alg: QgsProcessingAlgorithm, name: str = "RESULT", *, optional: bool = False
) -> None:
    """Add the input result: any layer of a GeoPackage written by rivermap."""
    if name == "PLAN":
        label = both("调整方案（其任一图层）", "Plan (any layer of a plan GeoPackage)")
    else:
        label = both("rivermap 结果（其任一图层）", "rivermap result (any layer of its GeoPackage)")
    alg.addParameter(
        QgsProcessingParameterVectorLayer(
            name, label, [QgsProcessing.TypeVector], optional=optional
        )
    )


def add_number(
    alg: QgsProcessingAlgorithm,
    name: str,
    label: str,
    default: float | None,
    *,
    maximum: float | None = None,
    optional: bool = False,
) -> None:
    """Add a number of zero or more (metres, a share, a speed)."""
    p = QgsProcessingParameterNumber(
        name, label, QgsProcessingParameterNumber.Double, default, optional, 0.0
    )
    if maximum is not None:
        p.setMaximum(maximum)
    alg.addParameter(p)


def add_choice(
    alg: QgsProcessingAlgorithm,
    name: str,
    label: str,
    choices: Sequence[str],
    default: str,
    labels: Mapping[str, str] | None = None,
) -> None:
    """Add one of ``choices`` (shown with ``labels``), ``default`` chosen."""
    shown = [labels.get(c, c) if labels else c for c in choices]
    alg.addParameter(
        QgsProcessingParameterEnum(name, label, shown, defaultValue=list(choices).index(default))
    )


def add_text(
    alg: QgsProcessingAlgorithm, name: str, label: str, default: str | None = None
) -> None:
    """Add an optional line of text."""
    alg.addParameter(QgsProcessingParameterString(name, label, default, optional=True))


def add_file(
    alg: QgsProcessingAlgorithm,
    name: str,
    label: str,
    file_filter: str = "",
    *,
    folder: bool = False,
    optional: bool = True,
) -> None:
    """Add an input file (a roster, a duties table) or folder."""
    behaviour = QgsProcessingParameterFile.Folder if folder else QgsProcessingParameterFile.File
    alg.addParameter(
        QgsProcessingParameterFile(
            name, label, behaviour, optional=optional, fileFilter=file_filter
        )
    )


def add_output(
    alg: QgsProcessingAlgorithm,
    name: str,
    label: str,
    file_filter: str,
    *,
    optional: bool = False,
    layers: Sequence[str] = (),
) -> None:
    """Add a file to write, and an output for each GeoPackage layer loaded from it."""
    p = QgsProcessingParameterFileDestination(name, label, file_filter, optional=optional)
    if optional:
        p.setCreateByDefault(False)
    alg.addParameter(p)
    for layer in layers:
        alg.addOutput(QgsProcessingOutputVectorLayer(layer.upper(), both(*LAYER_TITLES[layer])))


def add_lang(alg: QgsProcessingAlgorithm) -> None:
    """Add the language of the outputs' words."""
    labels = {"zh": "中文", "en": "English"}
    p = options()
    add_choice(
        alg, "LANG", both("输出语言", "Language of the outputs"), p["LANGS"], p["LANG"], labels
    )


# ===================================================================== a run
class Run:
    """One execution of an algorithm: its parameter values, progress and outputs."""

    def __init__(
        self,
        alg: QgsProcessingAlgorithm,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: Any,
    ) -> None:
        self.alg, self.parameters, self.context, self.feedback = alg, parameters, context, feedback
        self.copies: dict[str, str] = {}  # temporary copy → the layer's name
        self.backend = library.backend()
        self.params = self.backend.params

    # ------------------------------------------------------------- values
    def text(self, name: str) -> str | None:
        """Return a text, a field name or a file's path; None when empty."""
        value = self.alg.parameterAsString(self.parameters, name, self.context)
        return value.strip() or None

    def number(self, name: str) -> float:
        """Return a number that has a value (a default, or one given)."""
        value = self.optional_number(name)
        if value is None:
            raise QgsProcessingException(self.alg.invalidParameterError(self.parameters, name))
        return value

    def optional_number(self, name: str) -> float | None:
        """Return a number; None when an optional one is not set."""
        if self.parameters.get(name) in (None, ""):
            default = self.alg.parameterDefinition(name).defaultValue()
            return None if default is None else float(default)
        return float(self.alg.parameterAsDouble(self.parameters, name, self.context))

    def flag(self, name: str) -> bool:
        """Return a yes/no."""
        return bool(self.alg.parameterAsBoolean(self.parameters, name, self.context))

    def choice(self, name: str, choices: Sequence[str]) -> str:
        """Return the one of ``choices`` picked."""
        return choices[self.alg.parameterAsEnum(self.parameters, name, self.context)]

    def choices(self, name: str, choices: Sequence[str]) -> list[str]:
        """Return the ``choices`` picked (a parameter allowing several)."""
        return [choices[i] for i in self.alg.parameterAsEnums(self.parameters, name, self.context)]

    @property
    def lang(self) -> str:
        """Return the language of the outputs (rivermap's default without a LANG parameter)."""
        if self.alg.parameterDefinition("LANG") is None:
            return str(self.params["LANG"])
        return self.choice("LANG", self.params["LANGS"])

    def output(self, name: str) -> str:
        """Return the file to write."""
        path = self.optional_output(name)
        if path is None:
            raise QgsProcessingException(self.alg.invalidParameterError(self.parameters, name))
        return path

    def optional_output(self, name: str) -> str | None:
        """Return the file to write; None for an optional output not asked for."""
        path = self.alg.parameterAsFileOutput(self.parameters, name, self.context)
        return str(path) if path else None

    # ------------------------------------------------------------- layers
    def source(
        self,
        name: str,
        formats: Sequence[str] = VECTOR_FORMATS,
        preferred: str = "gpkg",
        *,
        keep_layer: bool = True,
        whole: Sequence[str] = (),
    ) -> tuple[str, str | None] | None:
        """Return a layer parameter as ``(file, layer)`` for rivermap's readers; None if unset.

        ``keep_layer``: the reader takes a layer name, so a layer of a
        GeoPackage is read where it is; otherwise it is copied to a file of
        its own. A layer without geometry is copied to CSV. A layer of a file
        whose suffix is in ``whole`` (``.gpx``: rivermap reads its tracks
        itself) is given as its file, unless features are selected.
        """
        if self.parameters.get(name) in (None, ""):
            return None
        source = self.alg.parameterAsSource(self.parameters, name, self.context)
        if source is None:
            raise QgsProcessingException(self.alg.invalidSourceError(self.parameters, name))
        whole_file = self._whole_file(name, whole)
        if whole_file:
            return whole_file, None
        if source.wkbType() == QgsWkbTypes.NoGeometry:
            formats, preferred = ["csv"], "csv"
        args = (self.parameters, name, self.context, list(formats), preferred, self.feedback)
        if keep_layer:
            path, layer = self.alg.parameterAsCompatibleSourceLayerPathAndLayerName(*args)
        else:
            path, layer = self.alg.parameterAsCompatibleSourceLayerPath(*args), ""
        self._note_copy(path, source.sourceName())
        inside = layer if layer and path.lower().endswith(MULTI_LAYER) else None
        return path, inside

    def _whole_file(self, name: str, suffixes: Sequence[str]) -> str | None:
        """Return the file of a layer parameter when its suffix is one of ``suffixes``."""
        value = self.parameters.get(name)
        if not suffixes or getattr(value, "selectedFeaturesOnly", False):
            return None
        layer = self.alg.parameterAsVectorLayer(self.parameters, name, self.context)
        if layer is None or layer.providerType() != "ogr":
            return None
        path = str(QgsProviderRegistry.instance().decodeUri("ogr", layer.source()).get("path"))
        return path if path.lower().endswith(tuple(suffixes)) else None

    def layer_files(self, name: str, formats: Sequence[str] = VECTOR_FORMATS) -> list[Any]:
        """Return a multiple-layer parameter as ``(file, layer, name, feature count)``.

        ``layer`` is the layer's name inside a GeoPackage (None for a file of
        one layer); ``name`` is that, or the layer's name in QGIS.
        """
        out = []
        for layer in self.alg.parameterAsLayerList(self.parameters, name, self.context):
            path, inside = QgsProcessingUtils.convertToCompatibleFormatAndLayerName(
                layer, False, name, list(formats), "gpkg", self.context, self.feedback
            )
            copied = self._note_copy(path, layer.name())
            kept = inside if path.lower().endswith(MULTI_LAYER) and inside else None
            shown = layer.name() if copied or kept is None else kept
            out.append((path, kept, shown, layer.featureCount()))
        return out

    def _note_copy(self, path: str, layer_name: str) -> bool:
        """Remember a temporary copy of a layer, to name the layer in messages; say if it is one."""
        copied = os.path.abspath(path).startswith(os.path.abspath(QgsProcessingUtils.tempFolder()))
        if copied:
            self.copies[path] = layer_name
        return copied

    def package(self, name: str) -> str:
        """Return the GeoPackage file behind a layer parameter (RESULT, PLAN)."""
        path = self.optional_package(name)
        if path is None:
            raise QgsProcessingException(self.alg.invalidSourceError(self.parameters, name))
        return path

    def optional_package(self, name: str) -> str | None:
        """Return the GeoPackage file behind a layer parameter; None if unset."""
        layer = self.alg.parameterAsVectorLayer(self.parameters, name, self.context)
        if layer is None:
            if self.parameters.get(name) in (None, ""):
                return None
            raise QgsProcessingException(self.alg.invalidSourceError(self.parameters, name))
        parts = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source())
        path = str(parts.get("path") or "")
        if layer.providerType() != "ogr" or not path.lower().endswith(".gpkg"):
            label = self.alg.parameterDefinition(name).description()
            msg = (
                f"{name} ({label}): {layer.name()} is not a layer of a GeoPackage written "
                "by rivermap; choose one of the layers the algorithm loaded, or open its .gpkg"
            )
            raise QgsProcessingException(msg)
        return path

    # ---------------------------------------------------------- the job
    def labels(self) -> dict[str, str]:
        """Return how rivermap's messages name each option: its parameter and its label."""
        return {
            p.name().lower(): f"{p.name()} ({p.description()})"
            for p in self.alg.parameterDefinitions()
        }

    def execute(self, step: str, job: Mapping[str, Any]) -> dict[str, Any]:
        """Run ``job`` as step ``step`` of :mod:`rivermap_qgis.steps`; return its results.

        rivermap's one-line errors, and bugs with their traceback, are raised
        as :class:`QgsProcessingException`; its warnings go to the log.
        """
        full = {"step": step, "labels": self.labels(), "lang": self.lang, **job}
        try:
            outcome = self.backend.run(full, self.progress, self.feedback.isCanceled)
        except library.CancelledError:
            raise QgsProcessingException(both("已取消", "cancelled")) from None
        for warning in outcome.get("warnings", []):
            self.feedback.pushWarning(self.named(str(warning)))
        if "error" in outcome:
            raise QgsProcessingException(self.named(str(outcome["error"])))
        if "bug" in outcome:
            msg = f"rivermap failed (a bug; please report it):\n{outcome['bug']}"
            raise QgsProcessingException(msg)
        return dict(outcome["results"])

    def progress(self, percent: float, text: str) -> None:
        """Move the progress bar and say what comes."""
        self.feedback.setProgress(percent)
        self.feedback.setProgressText(text)

    def named(self, message: str) -> str:
        """Return ``message`` with temporary copies named by their layers."""
        for path, layer in self.copies.items():
            message = message.replace(path, f"[{layer}]")
        return message

    # ------------------------------------------------------------- outputs
    def load(self, path: str, layers: Sequence[str], output: str) -> dict[str, str]:
        """Load layers of the GeoPackage ``path`` when the algorithm completes, with their styles.

        Returns ``{LAYER: uri}`` for the algorithm's results.
        """
        out = {}
        for layer in layers:
            uri = f"{path}|layername={layer}"
            details = QgsProcessingContext.LayerDetails(
                f"{LAYER_TITLES[layer][0]} {LAYER_TITLES[layer][1]}", self.context.project(), output
            )
            details.setPostProcessor(_Styled.new())
            self.context.addLayerToLoadOnCompletion(uri, details)
            out[layer.upper()] = uri
        return out


# ================================================================ the layers
class _Styled(QgsProcessingLayerPostProcessorInterface):
    """Gives a loaded layer the default style of its GeoPackage, polygons below lines.

    One per layer: the context deletes its post-processors. Python keeps each
    in :attr:`waiting` until QGIS has called it, or the Python half would be
    collected and QGIS would call an empty one.
    """

    waiting: ClassVar[set[_Styled]] = set()

    @classmethod
    def new(cls) -> _Styled:
        """Return a post-processor kept alive until it is used."""
        instance = cls()
        cls.waiting.add(instance)
        return instance

    def postProcessLayer(self, layer: Any, context: Any, feedback: Any) -> None:  # noqa: N802
        """Load the layer's default style (``layer_styles``) and place polygons below lines."""
        self.waiting.discard(self)
        layer.loadDefaultStyle()
        layer.triggerRepaint()
        project = context.project()
        if project is not None and layer.geometryType() == QgsWkbTypes.PolygonGeometry:
            _below_lines(layer, project)


def _below_lines(layer: Any, project: Any) -> None:
    """Move a polygon layer down the layer tree, below the layers of its file just under it."""
    node = project.layerTreeRoot().findLayer(layer.id())
    if node is None:
        return
    parent = node.parent()
    children = list(parent.children())
    here = end = children.index(node)
    path = layer.source().split("|")[0]
    while end + 1 < len(children):
        other = getattr(children[end + 1], "layer", lambda: None)()
        if other is None or other.source().split("|")[0] != path:
            break
        if other.geometryType() == QgsWkbTypes.PolygonGeometry:
            break
        end += 1
    if end > here:
        parent.insertChildNode(end + 1, node.clone())
        parent.removeChildNode(node)


# ============================================================== the algorithm
class RivermapAlgorithm(QgsProcessingAlgorithm):
    """The base of rivermap's algorithms: names, help, errors; subclasses define ``work``."""

    NAME = ""
    TITLE: tuple[str, str] = ("", "")
    GROUP = "responsibility"
    HELP_ZH = ""
    HELP_EN = ""

    def name(self) -> str:
        """Return the id within the provider (``rivermap:<name>``)."""
        return self.NAME

    def displayName(self) -> str:  # noqa: N802 - QGIS's name
        """Return the name in Chinese and English."""
        return both(*self.TITLE)

    def group(self) -> str:
        """Return the toolbox group."""
        return both(*GROUPS[self.GROUP])

    def groupId(self) -> str:  # noqa: N802 - QGIS's name
        """Return the toolbox group's id."""
        return self.GROUP

    def shortHelpString(self) -> str:  # noqa: N802 - QGIS's name
        """Return the help, Chinese first."""
        return f"<p>{self.HELP_ZH}</p><p>{self.HELP_EN}</p>"

    def icon(self) -> Any:
        """Return rivermap's icon."""
        return QIcon(str(_ICON))

    def createInstance(self) -> QgsProcessingAlgorithm:  # noqa: N802 - QGIS's name
        """Return a new instance (QGIS runs each on its own)."""
        return type(self)()

    def work(self, run: Run) -> dict[str, Any]:
        """Do the work; return the results."""
        raise NotImplementedError

    def processAlgorithm(  # noqa: N802 - QGIS's name
        self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: Any
    ) -> dict[str, Any]:
        """Run the algorithm (rivermap's errors are raised as QgsProcessingException)."""
        results = self.work(Run(self, parameters, context, feedback))
        feedback.setProgress(100)
        return results
