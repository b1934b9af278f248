package atomicfile

import "os"

// ErrExists: Create found the destination there already (os.ErrExist).
var ErrExists = os.ErrExist
