from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('agora', '0009_figures_covering_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Proposal',
            name='charged_units',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
