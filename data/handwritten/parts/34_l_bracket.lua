local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local w, d, h, t = 50, 40, 35, 5
local r, s = 2.5, 25                    -- hole radius, spacing
Extrude(Sketch(XY, Face(rect(0, 0, w, d), Loop(Circle(w / 2 - s / 2, d / 2 - t / 2, r)), Loop(Circle(w / 2 + s / 2, d / 2 - t / 2, r)))), t, "new")
local back = Plane({0, d, 0}, {1, 0, 0}, {0, -1, 0})
Extrude(Sketch(back, Face(rect(0, 0, w, h), Loop(Circle(w / 2 - s / 2, h * 0.6, r)), Loop(Circle(w / 2 + s / 2, h * 0.6, r)))), t, "join")
