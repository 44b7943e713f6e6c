local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local len, w, h, gap = 200, 10, 8, 40
Extrude(Sketch(XY, Face(rect(0, 0, len, w)), Face(rect(0, w + gap, len, 2 * w + gap))), h, "new")
