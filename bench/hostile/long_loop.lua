-- a loop of 20000 curves
local c = {}
for i = 1, 20000 do c[i] = Line(i,0, i+1,0) end
local l = Loop(table.unpack(c))
