local a, t, len = 30, 3, 100      -- leg length, wall thickness, length
local L = Loop(Line(0,0, a,0), Line(a,0, a,t), Line(a,t, t,t), Line(t,t, t,a), Line(t,a, 0,a), Line(0,a, 0,0))
Extrude(Sketch(XZ, Face(L)), len, "new")
