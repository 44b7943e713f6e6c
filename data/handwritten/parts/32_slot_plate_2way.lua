local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local function slot(cx, cy, len, r)
  local a, b = cx - len / 2, cx + len / 2
  return Loop(Line(a, cy - r, b, cy - r), Arc(b, cy - r, b + r, cy, b, cy + r),
              Line(b, cy + r, a, cy + r), Arc(a, cy + r, a - r, cy, a, cy - r))
end
local w, d, sl, sw = 70, 30, 30, 8
Extrude(Sketch(XY, Face(rect(0, 0, w, d), slot(w / 2, d / 2, sl - sw, sw / 2))), {4, 2}, "new")
