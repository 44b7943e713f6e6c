local od, t, bore = 90, 10, 30
local n, pcd, hd = 6, 70, 9
local loops = {Loop(Circle(0, 0, bore / 2))}
for i = 0, n - 1 do
  local a = 2 * math.pi * i / n
  loops[#loops + 1] = Loop(Circle(pcd / 2 * math.cos(a), pcd / 2 * math.sin(a), hd / 2))
end
Extrude(Sketch(XY, Face(Loop(Circle(0, 0, od / 2)), table.unpack(loops))), t, "new")
