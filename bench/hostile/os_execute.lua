-- escape attempts
os.execute('touch /tmp/escaped')
