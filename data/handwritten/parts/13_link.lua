local function slot(cx, cy, len, r)
  local a, b = cx - len / 2, cx + len / 2
  return Loop(Line(a, cy - r, b, cy - r), Arc(b, cy - r, b + r, cy, b, cy + r),
              Line(b, cy + r, a, cy + r), Arc(a, cy + r, a - r, cy, a, cy - r))
end
local c, r, t, hd = 60, 10, 6, 8   -- centre distance, end radius, thickness, hole
Extrude(Sketch(XY, Face(slot(0, 0, c, r), Loop(Circle(-c / 2, 0, hd / 2)), Loop(Circle(c / 2, 0, hd / 2)))), t, "new")
