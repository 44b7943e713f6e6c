local n, d, h, pcd = 6, 8, 10, 50
local faces = {}
for i = 0, n - 1 do
  local a = 2 * math.pi * i / n
  faces[#faces + 1] = Face(Loop(Circle(pcd / 2 * math.cos(a), pcd / 2 * math.sin(a), d / 2)))
end
Extrude(Sketch(XY, table.unpack(faces)), h, "new")
