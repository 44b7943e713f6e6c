local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end
local w, d, t, ang = 40, 20, 3, math.rad(30)
local pl = Plane({0, 0, 0}, {1, 0, 0}, {0, -math.sin(ang), math.cos(ang)})
Extrude(Sketch(pl, Face(rect(0, 0, w, d))), t, "new")
