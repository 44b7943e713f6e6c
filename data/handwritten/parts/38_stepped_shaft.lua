local steps = {{30, 20}, {20, 30}, {12, 15}}   -- diameter, length
local z = 0
for i, s in ipairs(steps) do
  local pl = Plane({0, 0, z}, {1, 0, 0}, {0, 0, 1})
  Extrude(Sketch(pl, Face(Loop(Circle(0, 0, s[1] / 2)))), s[2], i == 1 and "new" or "join")
  z = z + s[2]
end
