local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local w, d, t = 40, 25, 1.5   -- shim size and thickness
Extrude(Sketch(XY, Face(rect(0, 0, w, d))), t, "new")
