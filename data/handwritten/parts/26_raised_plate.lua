local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local s, t, z = 30, 5, 20
Extrude(Sketch(Plane({0, 0, z}, {1, 0, 0}, {0, 0, 1}), Face(rect(0, 0, s, s))), t, "new")
