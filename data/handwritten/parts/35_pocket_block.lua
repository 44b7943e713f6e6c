local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local w, d, h = 80, 60, 20
local pw, pd, depth = 40, 30, 8
Extrude(Sketch(XY, Face(rect(0, 0, w, d))), h, "new")
local top = Plane({0, 0, h}, {1, 0, 0}, {0, 0, 1})
Extrude(Sketch(top, Face(rect((w - pw) / 2, (d - pd) / 2, (w + pw) / 2, (d + pd) / 2))), -depth, "cut")
