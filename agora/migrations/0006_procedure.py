from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('agora', '0005_secret_ballots')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Consent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('proposal', fields.ForeignKeyField('agora.Proposal', source_field='proposal_id', db_constraint=True, to_field='id', related_name='consents', on_delete=OnDelete.RESTRICT)),
                ('owner_ref', fields.CharField(max_length=64)),
                ('consent', fields.BooleanField()),
                ('channel', fields.CharField(max_length=16)),
                ('witness', fields.CharField(default='', max_length=120)),
                ('user', fields.ForeignKeyField('agora.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='consents', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consents', 'app': 'agora', 'unique_together': (('proposal', 'owner_ref'),), 'pk_attr': 'id', 'table_description': "One owner's individual consent (art. 279 change of use, an elevator's occupied unit)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Objection',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('resolution', fields.ForeignKeyField('agora.Resolution', source_field='resolution_id', db_constraint=True, to_field='id', related_name='objections', on_delete=OnDelete.RESTRICT)),
                ('proposal_id', fields.IntField(db_index=True)),
                ('owner_ref', fields.CharField(max_length=64)),
                ('user', fields.ForeignKeyField('agora.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='objections', on_delete=OnDelete.SET_NULL)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('answer', fields.TextField(default='', unique=False)),
                ('answered_by', fields.ForeignKeyField('agora.User', source_field='answered_by_id', null=True, db_constraint=True, to_field='id', related_name='objection_answers', on_delete=OnDelete.SET_NULL)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'objections', 'app': 'agora', 'pk_attr': 'id', 'table_description': "An owner's objection to a preliminary resolution record, and the committee's answer."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='PaperBallot',
            name='proxy_authorization',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='PaperBallot',
            name='proxy_id_last4',
            field=fields.CharField(null=True, max_length=4),
        ),
        ops.AddField(
            model_name='Proposal',
            name='affected',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Proposal',
            name='extension',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Proposal',
            name='occupied',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Proposal',
            name='opens_from',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Proposal',
            name='rules',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Resolution',
            name='finalized_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Resolution',
            name='preliminary_hash',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
