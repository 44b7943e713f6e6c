local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local w, d, h = 50, 30, 3
local r, gap = 5, 10
Extrude(Sketch(XY, Face(rect(0, 0, w, d)), Face(Loop(Circle(w + gap + r, d / 2, r)))), h, "new")
