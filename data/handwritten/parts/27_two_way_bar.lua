local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local l, h = 80, 10
Extrude(Sketch(XZ, Face(rect(0, 0, l, h))), {15, 5}, "new")
