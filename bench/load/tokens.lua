-- Shared by the load scripts: each wrk thread takes its own slice of a file of credentials
-- (one per line), so that no two threads send as the same subject at once.
local M = {}

function M.setup(thread)
  M.threads = (M.threads or 0) + 1
  thread:set("slice", M.threads - 1)
end

function M.load(path)
  local lines = {}
  for line in io.lines(path) do lines[#lines + 1] = line end
  return lines
end

-- The i-th credential of this thread's slice, cycling.
function M.pick(lines, threads, i)
  local per = math.floor(#lines / threads)
  return lines[(slice or 0) * per + (i % per) + 1]
end

return M
