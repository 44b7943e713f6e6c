-- L-bracket: a base plate and an upright joined, two bolt holes in each, and a centre gusset.
local w, d, h, t = 50, 40, 35, 5   -- width (x), base depth (y), upright height (z), thickness
local r = 2.5                      -- bolt hole radius
local g = 15                       -- gusset leg length

local function rect(x0, y0, x1, y1)
  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))
end

-- base plate on XY, its holes towards the front
local base = Face(rect(0, 0, w, d), Loop(Circle(w/4, d*0.4, r)), Loop(Circle(3*w/4, d*0.4, r)))
Extrude(Sketch(XY, base), t, "new")

-- upright at the back: sketched on a plane through (0, d, 0) facing -y (local u = x, v = z),
-- extruded t along that normal, so it fills y = d - t .. d
local back = Plane({0, d, 0}, {1, 0, 0}, {0, -1, 0})
local upright = Face(rect(0, 0, w, h), Loop(Circle(w/4, h*0.65, r)), Loop(Circle(3*w/4, h*0.65, r)))
Extrude(Sketch(back, upright), t, "join")

-- triangular gusset in the plane x = w/2 (local u = y, v = z), 4 mm thick, centred on that plane
local mid = Plane({w/2, 0, 0}, {0, 1, 0}, {1, 0, 0})
local y0 = d - t
local gusset = Loop(Line(y0,t, y0-g,t), Line(y0-g,t, y0,t+g), Line(y0,t+g, y0,t))
Extrude(Sketch(mid, Face(gusset)), {sym = 4}, "join")
