// Types shared by the modules.

@export()
@description('Resource tags: string values keyed by tag name.')
type resourceTags = {
  *: string
}
