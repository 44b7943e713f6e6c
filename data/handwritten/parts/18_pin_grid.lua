local d, h, p = 6, 15, 20
local faces = {}
for i = 0, 1 do for j = 0, 1 do faces[#faces + 1] = Face(Loop(Circle(i * p, j * p, d / 2))) end end
Extrude(Sketch(XY, table.unpack(faces)), h, "new")
