local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local s, h, gap = 20, 10, 60      -- block side, height, centre distance
Extrude(Sketch(XY, Face(rect(0, 0, s, s)), Face(rect(gap, 0, gap + s, s))), h, "new")
