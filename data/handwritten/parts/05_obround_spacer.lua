local function slot(cx, cy, len, r)
  local a, b = cx - len / 2, cx + len / 2
  return Loop(Line(a, cy - r, b, cy - r), Arc(b, cy - r, b + r, cy, b, cy + r),
              Line(b, cy + r, a, cy + r), Arc(a, cy + r, a - r, cy, a, cy - r))
end
local len, wid, t = 50, 16, 3     -- overall length, width, thickness
Extrude(Sketch(XY, Face(slot(0, 0, len - wid, wid / 2))), t, "new")
