local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local s, h, d = 30, 40, 38
Extrude(Sketch(XY, Face(rect(-s / 2, -s / 2, s / 2, s / 2))), h, "new")
Extrude(Sketch(XY, Face(Loop(Circle(0, 0, d / 2)))), h, "intersect")
