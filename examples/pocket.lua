-- Plate with rounded corners (arcs), a slot-shaped pocket cut part-way down, and a through hole.
local w, d, t, rc = 80, 50, 10, 8      -- plate size, thickness, corner radius
local sl, sr, depth = 30, 7, 4         -- slot centre distance, slot radius, pocket depth

-- rectangle with corner arcs; an arc is given by start, a point on it, end
local function rounded(x0, y0, x1, y1, r)
  local k = r * (1 - math.sqrt(0.5))   -- inset of each arc's mid point from its corner
  return Loop(
    Line(x0 + r, y0, x1 - r, y0), Arc(x1 - r, y0, x1 - k, y0 + k, x1, y0 + r),
    Line(x1, y0 + r, x1, y1 - r), Arc(x1, y1 - r, x1 - k, y1 - k, x1 - r, y1),
    Line(x1 - r, y1, x0 + r, y1), Arc(x0 + r, y1, x0 + k, y1 - k, x0, y1 - r),
    Line(x0, y1 - r, x0, y0 + r), Arc(x0, y0 + r, x0 + k, y0 + k, x0 + r, y0))
end

-- obround slot: two straight sides and two half circles
local function slot(cx, cy, len, r)
  local a, b = cx - len / 2, cx + len / 2
  return Loop(Line(a, cy - r, b, cy - r), Arc(b, cy - r, b + r, cy, b, cy + r),
              Line(b, cy + r, a, cy + r), Arc(a, cy + r, a - r, cy, a, cy - r))
end

Extrude(Sketch(XY, Face(rounded(0, 0, w, d, rc))), t, "new")

-- the pocket is sketched on the top face and cut downwards, against the plane's normal
local top = Plane({0, 0, t}, {1, 0, 0}, {0, 0, 1})
Extrude(Sketch(top, Face(slot(w / 2, d / 2, sl, sr))), -depth, "cut")

-- a through hole to the right of the slot
Extrude(Sketch(XY, Face(Loop(Circle(w - 10, d / 2, 4)))), t, "cut")
