from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('agora', '0003_implementation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Concern',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('compound', fields.ForeignKeyField('agora.Hall', source_field='compound_id', db_constraint=True, to_field='id', related_name='concerns', on_delete=OnDelete.RESTRICT)),
                ('building', fields.ForeignKeyField('agora.Hall', source_field='building_id', null=True, db_constraint=True, to_field='id', related_name='building_concerns', on_delete=OnDelete.SET_NULL)),
                ('seq', fields.IntField()),
                ('ref', fields.CharField(max_length=32)),
                ('kind', fields.CharField(default='concern', max_length=16)),
                ('title', fields.CharField(max_length=120)),
                ('body', fields.TextField(unique=False)),
                ('category', fields.CharField(max_length=40)),
                ('visibility', fields.CharField(default='public', max_length=16)),
                ('status', fields.CharField(default='received', max_length=24)),
                ('urgency', fields.IntField(null=True)),
                ('route', fields.CharField(null=True, max_length=16)),
                ('assignee', fields.CharField(default='', max_length=80)),
                ('due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('submitter', fields.ForeignKeyField('agora.User', source_field='submitter_id', null=True, db_constraint=True, to_field='id', related_name='concerns', on_delete=OnDelete.SET_NULL)),
                ('entered_by', fields.ForeignKeyField('agora.User', source_field='entered_by_id', null=True, db_constraint=True, to_field='id', related_name='concerns_entered', on_delete=OnDelete.SET_NULL)),
                ('on_behalf_name', fields.CharField(default='', max_length=60)),
                ('follow_code_hash', fields.CharField(null=True, unique=True, max_length=64)),
                ('merged_into_id', fields.IntField(null=True)),
                ('feedback_satisfied', fields.BooleanField(null=True)),
                ('feedback_comment', fields.TextField(default='', unique=False)),
                ('feedback_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'concerns', 'app': 'agora', 'unique_together': (('compound', 'seq'),), 'indexes': [Index(fields=['compound_id', 'status'], name='concerns_compound_status'), Index(fields=['merged_into_id'], name='concerns_merged_into'), Index(fields=['submitter_id'], name='concerns_submitter')], 'pk_attr': 'id', 'table_description': 'A worry or a small wish raised by a resident (or entered for one by a canvasser).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConcernCategory',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('compound', fields.ForeignKeyField('agora.Hall', source_field='compound_id', db_constraint=True, to_field='id', related_name='concern_categories', on_delete=OnDelete.CASCADE)),
                ('label', fields.CharField(max_length=20)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'concern_categories', 'app': 'agora', 'unique_together': (('compound', 'label'),), 'pk_attr': 'id', 'table_description': "A category of the compound's own, beside the four every compound has."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConcernEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('concern', fields.ForeignKeyField('agora.Concern', source_field='concern_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharField(max_length=24)),
                ('status', fields.CharField(max_length=24)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('by', fields.ForeignKeyField('agora.User', source_field='by_id', null=True, db_constraint=True, to_field='id', related_name='concern_events', on_delete=OnDelete.SET_NULL)),
                ('note', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'concern_events', 'app': 'agora', 'indexes': [Index(fields=['concern_id'], name='concern_events_concern')], 'pk_attr': 'id', 'table_description': "One line of a concern's history: received, triaged, a status change, a merge, a linked proposal."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConcernPhoto',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('concern', fields.ForeignKeyField('agora.Concern', source_field='concern_id', db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.CASCADE)),
                ('uploader', fields.ForeignKeyField('agora.User', source_field='uploader_id', null=True, db_constraint=True, to_field='id', related_name='concern_photos', on_delete=OnDelete.SET_NULL)),
                ('data', fields.BinaryField()),
                ('thumb', fields.BinaryField()),
                ('width', fields.IntField()),
                ('height', fields.IntField()),
                ('thumb_width', fields.IntField()),
                ('thumb_height', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'concern_photos', 'app': 'agora', 'indexes': [Index(fields=['concern_id'], name='concern_photos_concern')], 'pk_attr': 'id', 'table_description': "A photo of a concern, processed like a proposal's (re-encoded JPEG, no metadata)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConcernReply',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('concern', fields.ForeignKeyField('agora.Concern', source_field='concern_id', db_constraint=True, to_field='id', related_name='replies', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('agora.User', source_field='author_id', db_constraint=True, to_field='id', related_name='concern_replies', on_delete=OnDelete.RESTRICT)),
                ('official_as', fields.CharField(max_length=16)),
                ('body', fields.TextField(unique=False)),
                ('body_html', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'concern_replies', 'app': 'agora', 'indexes': [Index(fields=['concern_id'], name='concern_replies_concern')], 'pk_attr': 'id', 'table_description': "An official reply by the Party branch or the owners' committee."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SearchDoc',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('compound_id', fields.IntField()),
                ('doc_kind', fields.CharField(max_length=16)),
                ('doc_id', fields.IntField()),
                ('digest', fields.CharField(max_length=64)),
            ],
            options={'table': 'search_docs', 'app': 'agora', 'unique_together': (('doc_kind', 'doc_id'),), 'indexes': [Index(fields=['compound_id', 'doc_kind'], name='search_docs_compound')], 'pk_attr': 'id', 'table_description': 'What the index holds for one document: the digest of the text it was built from.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SearchTerm',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('compound_id', fields.IntField()),
                ('doc_kind', fields.CharField(max_length=16)),
                ('doc_id', fields.IntField()),
                ('term', fields.CharField(max_length=32)),
                ('weight', fields.IntField()),
            ],
            options={'table': 'search_terms', 'app': 'agora', 'indexes': [Index(fields=['compound_id', 'doc_kind', 'term'], name='search_terms_lookup'), Index(fields=['doc_kind', 'doc_id'], name='search_terms_doc')], 'pk_attr': 'id', 'table_description': 'The word index for search in Chinese: one row per (document, term), weighted.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Proposal',
            name='concern_id',
            field=fields.IntField(null=True),
        ),
    ]
