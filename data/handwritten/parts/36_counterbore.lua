local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local s, h = 40, 15
local thru, cb, cbd = 6.6, 11, 6.5
Extrude(Sketch(XY, Face(rect(0, 0, s, s))), h, "new")
Extrude(Sketch(XY, Face(Loop(Circle(s / 2, s / 2, thru / 2)))), h, "cut")
Extrude(Sketch(Plane({0, 0, h}, {1, 0, 0}, {0, 0, 1}), Face(Loop(Circle(s / 2, s / 2, cb / 2)))), -cbd, "cut")
