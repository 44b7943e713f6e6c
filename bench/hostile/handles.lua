-- a million curve handles
local c = {}
for i = 1, 1e6 do c[i] = Line(i,0, i+1,0) end
