"""Per-frame ground truth for the tasks beyond classification: boxes, named points and named values.

Filled from a clip's object labels (hil.artifacts.labels.read_objects: OpenLABEL `bbox` / `point2d` / `num`
object data, or the plain `<clip>.objects.csv`), consumed by hil.measure.tasks. Coordinates are pixels of
the clip's frame; a point or value that is absent was not labelled in that frame (never zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hil.measure.detection import Box

Point = tuple[float, float]


@dataclass
class FrameTruth:
    boxes: list[Box] = field(default_factory=list)  # Box.label: the object's class (OpenLABEL type)
    points: dict[str, Point] = field(default_factory=dict)  # point name -> (x, y)
    values: dict[str, float] = field(default_factory=dict)  # target name -> value (e.g. gaze_yaw)
    objects: dict[str, str] = field(default_factory=dict)  # object id -> class, of the objects in the frame

    def empty(self) -> bool:
        return not (self.boxes or self.points or self.values or self.objects)
