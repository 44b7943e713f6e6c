-- not a number
Line(0,0, 0/0, 1)
