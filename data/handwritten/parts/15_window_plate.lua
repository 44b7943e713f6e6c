local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local function rounded(x0, y0, x1, y1, r)
  local k = r * (1 - math.sqrt(0.5))
  return Loop(
    Line(x0 + r, y0, x1 - r, y0), Arc(x1 - r, y0, x1 - k, y0 + k, x1, y0 + r),
    Line(x1, y0 + r, x1, y1 - r), Arc(x1, y1 - r, x1 - k, y1 - k, x1 - r, y1),
    Line(x1 - r, y1, x0 + r, y1), Arc(x0 + r, y1, x0 + k, y1 - k, x0, y1 - r),
    Line(x0, y1 - r, x0, y0 + r), Arc(x0, y0 + r, x0 + k, y0 + k, x0 + r, y0))
end
local s, t, r, win = 60, 4, 5, 20
local c0, c1 = (s - win) / 2, (s + win) / 2
Extrude(Sketch(XY, Face(rounded(0, 0, s, s, r), rect(c0, c0, c1, c1))), t, "new")
