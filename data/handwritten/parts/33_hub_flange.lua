local R, T = 40, 8
local hub_r, hub_h, bore = 20, 12, 12
local n, pcd, hr = 4, 60, 4
local holes = {}
for i = 0, n - 1 do
  local a = 2 * math.pi * i / n
  holes[#holes + 1] = Loop(Circle(pcd / 2 * math.cos(a), pcd / 2 * math.sin(a), hr))
end
Extrude(Sketch(XY, Face(Loop(Circle(0, 0, R)), table.unpack(holes))), T, "new")
Extrude(Sketch(Plane({0, 0, T}, {1, 0, 0}, {0, 0, 1}), Face(Loop(Circle(0, 0, hub_r)))), hub_h, "join")
Extrude(Sketch(XY, Face(Loop(Circle(0, 0, bore)))), T + hub_h, "cut")
