local base, rise, width = 80, 20, 35   -- length, height at the back, width
local tri = Loop(Line(0,0, base,0), Line(base,0, base,rise), Line(base,rise, 0,0))
Extrude(Sketch(XZ, Face(tri)), -width, "new")
